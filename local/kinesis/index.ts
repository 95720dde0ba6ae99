export * from './accounts';
export * from './kinesalite';
export * from './fault-proxy';
export * from './streams';
export * from './write-limits';
