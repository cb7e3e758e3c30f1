import type { AslState } from '../../local/asl';

/**
 * A Map state over `$.items` running Work (a Task on the `work` handler, with `work`'s extra
 * fields, every failure caught into Failed, a Pass with `failed` as its Parameters) per item,
 * the results in `$.results`; then `next`, or the end.
 */
export function workMap(o: {
  maxConcurrency: number;
  itemSelector: Record<string, string>;
  work?: Record<string, unknown>;
  failed: Record<string, string>;
  next?: string;
}): AslState {
  return {
    Type: 'Map',
    ItemsPath: '$.items',
    MaxConcurrency: o.maxConcurrency,
    ItemSelector: o.itemSelector,
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: `\${self:custom.lambda.work}`,
          ...o.work,
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Pass', Parameters: o.failed, End: true },
      },
    },
    ResultPath: '$.results',
    ...(o.next ? { Next: o.next } : { End: true }),
  };
}
