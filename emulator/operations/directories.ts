import { type Ctx, compact, type Handler, paginate, sec } from '../context';
import { alreadyExists, inUse, notFound } from '../errors';
import type { DirectoryRec } from '../records';
import { checkQuota, selectByNames } from './common';

const MAX_DIRECTORY_CONFIGS = 10;

// Service account passwords are write-only: AWS never returns them.
const directoryOut = (d: DirectoryRec) =>
  compact({
    DirectoryName: d.DirectoryName,
    OrganizationalUnitDistinguishedNames: d.OrganizationalUnitDistinguishedNames,
    ServiceAccountCredentials: d.ServiceAccountCredentials
      ? { AccountName: d.ServiceAccountCredentials.AccountName, AccountPassword: '********' }
      : undefined,
    CertificateBasedAuthProperties: d.CertificateBasedAuthProperties,
    CreatedTime: sec(d.CreatedTime),
  });

function getDirectory(ctx: Ctx, name: string): DirectoryRec {
  const d = ctx.store.directories.get(name);
  if (!d) throw notFound('directory config', name);
  return d;
}

export const directoryHandlers: Record<string, Handler> = {
  CreateDirectoryConfig: (input, ctx) => {
    if (ctx.store.directories.has(input.DirectoryName))
      throw alreadyExists('directory config', input.DirectoryName);
    checkQuota(ctx.store.directories.size, MAX_DIRECTORY_CONFIGS, 'directory config');
    const d: DirectoryRec = { ...input, CreatedTime: ctx.now };
    ctx.store.directories.set(d.DirectoryName, d);
    return { DirectoryConfig: directoryOut(d) };
  },
  DescribeDirectoryConfigs: (input, ctx) => {
    const all = selectByNames(ctx.store.directories, input.DirectoryNames, 'directory config');
    const { page, nextToken } = paginate(all, input.NextToken, input.MaxResults, 50);
    return compact({ DirectoryConfigs: page.map(directoryOut), NextToken: nextToken });
  },
  UpdateDirectoryConfig: (input, ctx) => {
    const d = getDirectory(ctx, input.DirectoryName);
    Object.assign(d, compact({ ...input }));
    return { DirectoryConfig: directoryOut(d) };
  },
  DeleteDirectoryConfig: (input, ctx) => {
    const d = getDirectory(ctx, input.DirectoryName);
    const users = [...ctx.store.builders.values(), ...ctx.store.fleets.values()].filter(
      (r) =>
        (r.attrs.DomainJoinInfo as { DirectoryName?: string } | undefined)?.DirectoryName === d.DirectoryName,
    );
    if (users.length)
      throw inUse(`Directory config '${d.DirectoryName}' is used by ${users.map((r) => r.name).join(', ')}.`);
    ctx.store.directories.delete(d.DirectoryName);
    return {};
  },
};
