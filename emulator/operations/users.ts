import { type Ctx, compact, type Handler, paginate, sec } from '../context';
import { alreadyExists, invalidCombination, notFound } from '../errors';
import type { UserRec, UserStackRec } from '../records';
import { userKey } from '../store';
import { checkQuota } from './common';

function requireUserPool(type: string): void {
  if (type !== 'USERPOOL')
    throw invalidCombination(
      `AuthenticationType ${type} is not supported here: only USERPOOL users are managed by AppStream.`,
    );
}

function getUser(ctx: Ctx, type: string, name: string): UserRec {
  const u = ctx.store.users.get(userKey(type, name));
  if (!u) throw notFound('user', name);
  return u;
}

const userOut = (u: UserRec) =>
  compact({
    Arn: u.arn,
    UserName: u.userName,
    AuthenticationType: u.authenticationType,
    Enabled: u.enabled,
    Status: u.status,
    FirstName: u.firstName,
    LastName: u.lastName,
    CreatedTime: sec(u.createdAt),
  });

const createUser: Handler = (input, ctx) => {
  requireUserPool(input.AuthenticationType);
  const key = userKey(input.AuthenticationType, input.UserName);
  if (input.MessageAction === 'RESEND') {
    getUser(ctx, input.AuthenticationType, input.UserName);
    return {};
  }
  if (ctx.store.users.has(key)) throw alreadyExists('user', input.UserName);
  checkQuota(ctx.store.users.size, ctx.world.quotasFor(ctx.account, ctx.region).users, 'user');
  ctx.store.users.set(key, {
    userName: input.UserName,
    authenticationType: input.AuthenticationType,
    arn: `arn:aws:appstream:${ctx.region}:${ctx.account}:user/${input.AuthenticationType.toLowerCase()}/${input.UserName}`,
    createdAt: ctx.now,
    enabled: true,
    status: 'FORCE_CHANGE_PASSWORD',
    firstName: input.FirstName,
    lastName: input.LastName,
  });
  return {};
};

const describeUsers: Handler = (input, ctx) => {
  requireUserPool(input.AuthenticationType);
  const users = [...ctx.store.users.values()].filter(
    (u) => u.authenticationType === input.AuthenticationType,
  );
  const { page, nextToken } = paginate(users, input.NextToken, input.MaxResults, 50);
  return compact({ Users: page.map(userOut), NextToken: nextToken });
};

const deleteUser: Handler = (input, ctx) => {
  const u = getUser(ctx, input.AuthenticationType, input.UserName);
  ctx.store.users.delete(userKey(u.authenticationType, u.userName));
  ctx.store.userStacks = ctx.store.userStacks.filter(
    (a) => !(a.userName === u.userName && a.authenticationType === u.authenticationType),
  );
  return {};
};

const setEnabled =
  (enabled: boolean): Handler =>
  (input, ctx) => {
    getUser(ctx, input.AuthenticationType, input.UserName).enabled = enabled;
    return {};
  };

function associationProblem(ctx: Ctx, a: UserStackRec): string | undefined {
  if (!ctx.store.stacks.has(a.stackName)) return 'STACK_NOT_FOUND';
  if (!ctx.store.users.has(userKey(a.authenticationType, a.userName))) return 'USER_NAME_NOT_FOUND';
  return undefined;
}

const sameAssociation = (a: UserStackRec, b: UserStackRec) =>
  a.stackName === b.stackName && a.userName === b.userName && a.authenticationType === b.authenticationType;

const batch =
  (associate: boolean): Handler =>
  (input, ctx) => {
    const errors: unknown[] = [];
    for (const raw of input.UserStackAssociations) {
      const a: UserStackRec = {
        stackName: raw.StackName,
        userName: raw.UserName,
        authenticationType: raw.AuthenticationType,
        sendEmailNotification: raw.SendEmailNotification,
      };
      const problem = associationProblem(ctx, a);
      if (problem) {
        errors.push({
          UserStackAssociation: raw,
          ErrorCode: problem,
          ErrorMessage:
            problem === 'STACK_NOT_FOUND'
              ? `Stack ${a.stackName} not found.`
              : `User ${a.userName} not found.`,
        });
        continue;
      }
      const rest = ctx.store.userStacks.filter((x) => !sameAssociation(x, a));
      ctx.store.userStacks = associate ? [...rest, a] : rest;
    }
    return { errors };
  };

const describeUserStackAssociations: Handler = (input, ctx) => {
  if (!input.StackName && !input.UserName) throw invalidCombination('Specify StackName, UserName, or both.');
  if (input.UserName && !input.AuthenticationType)
    throw invalidCombination('AuthenticationType is required when UserName is specified.');
  const list = ctx.store.userStacks.filter(
    (a) =>
      (!input.StackName || a.stackName === input.StackName) &&
      (!input.UserName ||
        (a.userName === input.UserName && a.authenticationType === input.AuthenticationType)),
  );
  const { page, nextToken } = paginate(list, input.NextToken, input.MaxResults, 50);
  return compact({
    UserStackAssociations: page.map((a) =>
      compact({
        StackName: a.stackName,
        UserName: a.userName,
        AuthenticationType: a.authenticationType,
        SendEmailNotification: a.sendEmailNotification,
      }),
    ),
    NextToken: nextToken,
  });
};

export const userHandlers: Record<string, Handler> = {
  CreateUser: createUser,
  DescribeUsers: describeUsers,
  DeleteUser: deleteUser,
  EnableUser: setEnabled(true),
  DisableUser: setEnabled(false),
  BatchAssociateUserStack: batch(true),
  BatchDisassociateUserStack: batch(false),
  DescribeUserStackAssociations: describeUserStackAssociations,
};
