// Moved to the shared stream addressing module; kept so existing imports stay valid.
export { streamNameOf } from '../../aws/stream-ref';
