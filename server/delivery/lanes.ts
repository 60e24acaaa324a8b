/** Events of one destination always share a lane, so a dead receiver slows only its own lane. */
export function laneOf(destinationId: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < destinationId.length; i++) {
    h ^= destinationId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}
