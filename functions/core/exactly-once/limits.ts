/** DynamoDB's limits on one TransactWriteItems: actions and total size. */
export const TRANSACTION_MAX_ACTIONS = 100;
export const TRANSACTION_MAX_BYTES = 4 * 1024 * 1024;
/** DynamoDB's item size limit. */
export const ITEM_MAX_BYTES = 400 * 1024;
/** One action of every transaction is the subtask's checkpoint. */
export const EFFECT_MAX_ACTIONS = TRANSACTION_MAX_ACTIONS - 1;
/** Room kept for the checkpoint item (which may hold up to 380 KB) within a transaction's 4 MB. */
export const EFFECT_MAX_BYTES = TRANSACTION_MAX_BYTES - ITEM_MAX_BYTES;
/** Committed state values kept in memory per handler, so a key's next batch need not read it again. */
export const STATE_CACHE_ENTRIES = 10_000;
