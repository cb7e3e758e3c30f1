import { usd } from '../local/cost';
import type { LocalPipelineSummary } from '../local/pipeline';
import type { LocalRunResult, ProgressEvent } from '../local/runner';

const clock = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** Prints state machine progress with the virtual time since the first event. */
export function progressPrinter(out: (line: string) => void = console.log) {
  let t0: number | undefined;
  return (e: ProgressEvent) => {
    t0 ??= e.virtualTime;
    const at = `[+${clock(e.virtualTime - t0)}]`;
    if (e.type === 'entered') out(`${at} ${e.stateType === 'Wait' ? '…' : '→'} ${e.state}`);
    else if (e.type === 'retried') out(`${at} ↻ ${e.state} (retry)`);
    else if (e.type === 'failed') out(`${at} ✗ ${e.state}: ${e.error} ${e.cause ? `— ${e.cause}` : ''}`);
  };
}

export function printSummary(
  result: LocalRunResult,
  s: LocalPipelineSummary,
  out: (line: string) => void = console.log,
) {
  out('');
  out(`Pipeline ${result.status}${result.error ? `: ${result.error} — ${result.cause}` : ''}`);
  if (s.image) {
    out(`  image            ${s.image.name}  (${s.image.state})`);
    out(`  image ARN        ${s.image.arn ?? '-'}`);
  }
  if (s.builder.state === 'NOT_LAUNCHED')
    out('  builder          none launched (the run stopped before launching one)');
  else out(`  builder          ${s.builder.name ?? '-'}  (${s.builder.state})`);
  out(`  virtual duration ${clock(s.virtualSeconds * 1000)}`);
  out(`  wall time        ${(s.wallMs / 1000).toFixed(2)} s`);
  out(`  transitions      ${s.transitions}   Lambda invocations ${s.lambdaInvocations}`);
  out(
    `  est. AWS cost    ${usd(s.cost.total)} per run (Step Functions ${usd(s.cost.sfn)}, Lambda ${usd(s.cost.lambda)})`,
  );
  if (s.backstop && 'builders' in s.backstop && s.backstop.builders.length)
    out(
      `  backstop         ${s.backstop.builders.map((b) => `${b.name} ${b.action} (${b.state})`).join(', ')}`,
    );
  if (s.notificationError)
    out(`  notification     FAILED: ${s.notificationError} (nobody was told; metric NotificationFailed)`);
  if (s.alert) {
    out('');
    out(`!!! WARNING: ${s.alert}; stop it: aws appstream stop-image-builder --name ${s.builder.name} !!!`);
  }
}
