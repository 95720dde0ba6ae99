export * from './kinesalite';
export * from './fault-proxy';
export * from './streams';
