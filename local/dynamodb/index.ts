export * from './dynalite';
export * from './transactions';
