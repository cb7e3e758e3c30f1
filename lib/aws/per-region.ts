/** A per-region factory that makes each region's client once and hands back the same one after. */
export function perRegion<C>(make: (region: string) => C): (region: string) => C {
  const made = new Map<string, C>();
  return (region: string): C => {
    let c = made.get(region);
    if (!c) {
      c = make(region);
      made.set(region, c);
    }
    return c;
  };
}
