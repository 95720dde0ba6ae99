// The SDK providers behind every CredentialsConfig but AUTO, in a module of their own that
// credentials.ts requires only when one is configured: named re-exports let a bundler keep these five
// and drop the rest of @aws-sdk/credential-providers, and a deployment on its role's credentials
// (AUTO) never evaluates them, nor the STS client that fromTemporaryCredentials brings.
export {
  fromEnv,
  fromIni,
  fromNodeProviderChain,
  fromTemporaryCredentials,
  fromTokenFile,
} from '@aws-sdk/credential-providers';
