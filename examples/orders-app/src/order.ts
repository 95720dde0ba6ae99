/** An order as the services send it and the processor reads it. */
export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly region: 'eu' | 'us';
  readonly amount: number;
}
