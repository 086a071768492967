import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'winston';
import type { AgentAPIHandlers } from '../../proto/generated/berth/v1/AgentAPI.js';
import { callerIdentity, describeIdentity, type CallWithAuthContext } from '../../proto/security/identity.js';

/**
 * onlyControlPlane is used to guard AgentAPI: logs and exec reach a node's containers, so only a
 * control plane (a certificate of the cluster CA in the control planes' group) may call. Any other
 * caller (an admin, another node) gets PERMISSION_DENIED, and the refusal is logged with who it was.
 */
export function onlyControlPlane(handlers: AgentAPIHandlers, logger: Logger): AgentAPIHandlers {
  const admitted = (call: CallWithAuthContext & { getPath(): string } & NodeJS.EventEmitter): boolean => {
    const caller = callerIdentity(call);
    if (caller?.kind === 'control-plane') return true;
    const who = describeIdentity(caller);
    logger.warn('AgentAPI call refused: only the control plane may call', { caller: who, method: call.getPath() });
    const message = `${who} may not call ${call.getPath()}: only the control plane calls a node's AgentAPI`;
    call.emit('error', Object.assign(new Error(message), { code: grpc.status.PERMISSION_DENIED, details: message, metadata: new grpc.Metadata() }));
    return false;
  };
  return {
    Logs: (call) => {
      if (admitted(call)) handlers.Logs(call);
    },
    Exec: (call) => {
      if (admitted(call)) handlers.Exec(call);
    },
  };
}
