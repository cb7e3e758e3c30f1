/** A virtual clock the local runtime advances (runLocally's `now`/`advance`). */
export function virtualTime(start = Date.parse('2026-11-26T09:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
