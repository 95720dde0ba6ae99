export type { KeyedState, TableWrites } from './effects';
export {
  exactlyOnceHandler,
  type EffectsContext,
  type ExactlyOnceOptions,
  type ExactlyOnceProcessor,
} from './processor';
export { StateTable, type StateTableOptions, type StateValue, type Versioned } from './state-table';
export { tumblingWindows, type TumblingWindowOptions, type WindowResult } from './windows';
export { TRANSACTION_MAX_ACTIONS, TRANSACTION_MAX_BYTES, ITEM_MAX_BYTES } from './limits';
export { EXACTLY_ONCE_STATE_ACTIONS, EXACTLY_ONCE_TABLE_ACTIONS } from './permissions';
export { itemBytes, transactionWriteUnits, TRANSACTIONAL_WRITE_FACTOR, WRITE_UNIT_BYTES } from './cost';
