import type { SandboxRequest, SandboxResult } from '../../server/transformations/sandbox.ts';

/** The request a run returned; a failed run fails the test with its code and message. */
export function ok(r: SandboxResult): SandboxRequest {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.request;
}

/** The error a run failed with; a run that succeeded fails the test with what it returned. */
export function failure(r: SandboxResult) {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.request)}`);
  return r.error;
}
