import { Agent } from 'undici';
import { publicOnlyLookup } from '../../connectors/http-webhook/address.ts';
import type { DeliveryContext } from '../../connectors/types.ts';
import type { Config } from '../config.ts';
import { VERSION } from '../version.ts';

/** A pooled HTTP agent whose DNS lookups refuse private addresses unless the operator allows them. */
export function createDispatcher(config: Pick<Config, 'allowPrivateDestinations'>, connections: number): Agent {
  return new Agent({
    connections,
    keepAliveTimeout: 10_000,
    connect: config.allowPrivateDestinations ? {} : { lookup: publicOnlyLookup as never },
  });
}

/** `destination` and `mockApi` let the built-in MOCK_API receiver record what it is sent. */
export function deliveryContext(config: Pick<Config, 'allowPrivateDestinations'>, dispatcher: Agent, extra: Pick<DeliveryContext, 'destination' | 'mockApi'> = {}): DeliveryContext {
  return { dispatcher, allowPrivateDestinations: config.allowPrivateDestinations, userAgent: `Wirehub/${VERSION}`, ...extra };
}
