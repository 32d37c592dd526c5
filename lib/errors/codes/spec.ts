// The shape of one registry entry. Every area file under codes/ satisfies it.
export interface ErrorSpec {
  /** HTTP status at an API boundary. */
  readonly status: number;
  /** MQ reason code (MQRC_*) where the MQ REST API reports one. */
  readonly mqrc?: number;
  /** Whether retrying the same operation later may succeed. */
  readonly retry: boolean;
  /** One sentence, also the first column of docs/errors.md. */
  readonly summary: string;
}
