export * from './dynalite';
