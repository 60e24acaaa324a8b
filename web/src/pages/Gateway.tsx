import { Placeholder } from './Placeholder.tsx';

/** /sources, /destinations, /connections: lists with status and enable/disable/pause. */
export function Gateway({ tab }: { tab: 'sources' | 'destinations' | 'connections' }) {
  return <Placeholder title={tab} />;
}
