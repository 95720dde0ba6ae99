export * from './server';
export { LOCAL_ACCOUNT_ID, parameterArn } from './names';
