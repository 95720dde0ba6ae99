// date-fns's parser and the translation of Java patterns into its tokens, in a module of their own that
// timestamp.ts requires only when a timestamp string is parsed with a pattern: date-fns's token tables
// take a few milliseconds to evaluate, which no other configuration needs.
// The mini UTC date: the package's full UTCDate builds Intl formatters at load, ~20 ms of every cold start.
export { UTCDateMini } from '@date-fns/utc/date/mini';
export { isValid } from 'date-fns/isValid';
export { parse } from 'date-fns/parse';
export { javaPatternToDateFns } from './java-date-pattern';
