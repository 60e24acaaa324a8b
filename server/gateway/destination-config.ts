import type { z } from 'zod';
import { connectorFor } from '../../connectors/index.ts';
import type { Connector } from '../../connectors/types.ts';
import type { SecretBox } from '../core/crypto.ts';
import { AppError } from '../core/errors.ts';
import type { DestinationRow } from '../db/schema.ts';

/*
 * How a destination's connector config is stored: the plain fields in `config`, the connector's
 * secret fields sealed in `auth_enc`. Apart from the destinations service because delivery, the
 * workspace credentials and the flows read and write it too, and none of them needs the service.
 */

export type AnyConnector = Connector<z.ZodType>;
export type DestinationConfig = Record<string, unknown>;

export function connectorOf(type: string): AnyConnector {
  const connector = connectorFor(type);
  if (!connector) throw new AppError(422, 'UNKNOWN_DESTINATION_TYPE', `Destination type "${type}" is not known to this Wirehub.`);
  return connector;
}

/** The full connector config of a stored destination, credentials included. */
export function destinationConfig(deps: { box: SecretBox }, row: Pick<DestinationRow, 'config' | 'auth_enc'>): DestinationConfig {
  return { ...row.config, ...(row.auth_enc ? deps.box.openJson<DestinationConfig>(row.auth_enc) : {}) };
}

/** Credentials are stored encrypted, apart from the rest of the config. */
export function sealConfig(
  deps: { box: SecretBox },
  connector: Pick<AnyConnector, 'secretFields'>,
  config: DestinationConfig,
): { config: string; auth_enc: string } {
  const secret: DestinationConfig = {};
  const rest: DestinationConfig = {};
  for (const [k, v] of Object.entries(config)) (connector.secretFields.includes(k) ? secret : rest)[k] = v;
  return { config: JSON.stringify(rest), auth_enc: deps.box.sealJson(secret) };
}
