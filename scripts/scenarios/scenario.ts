// What a scenario of `npm start` is: what happens to the market or the gateway on which day of a run, and
// what the run must show for it to have made its point (scripts/scenarios/index.ts lists them).
import type { IsoDate } from '#core/types';
import type { LocalStack, LocalStackOptions } from '../local/stack';
import type { DaySummary, Expectation, RunRecord } from '../report/summary';

export interface ScenarioContext {
  stack: LocalStack;
  /** The run's (first) trading day, on every day of the run. */
  date: IsoDate;
  /** The trading day being run (an event's day) or judged (the check's day). */
  today: IsoDate;
  /** Epoch ms of a New York time on the run's date. */
  at(time: string): number;
  log(line: string): void;
}

export interface ScenarioEvent {
  /** Trading day of the run the event happens on: 0 = the first (default), 4 = the fifth. */
  day?: number;
  time: string;
  label: string;
  apply(ctx: ScenarioContext): void | Promise<void>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Trading days the scenario needs to make its point (default 1); `--days` below it is raised to it. */
  days?: number;
  /** The first day when `--date` is not given: a scenario tied to a week of the calendar names it. */
  date?: IsoDate;
  config?: LocalStackOptions['config'];
  /**
   * Environment variables the deployed jobs would have (e.g. TRADING_MODE=live: an account with a
   * second factor), set for the run and restored after it.
   */
  env?: Readonly<Record<string, string>>;
  /** When the stack starts (default 08:00 of the day): a scenario that needs the day before starts then. */
  start?(date: IsoDate): number;
  /** Before the first job (08:00). */
  setup?(ctx: ScenarioContext): void | Promise<void>;
  /** Things that happen to the market or the gateway during the day. */
  events?: ScenarioEvent[];
  /** A reason when a run's failure or refusal is what the scenario provokes; undefined otherwise. */
  tolerate?(run: RunRecord): string | undefined;
  /**
   * What the run must show for the scenario to have made its point, judged once after its last event's
   * day: `summary` is that day, `days` every day run so far (oldest first, `summary` included).
   */
  check?(
    summary: DaySummary,
    ctx: ScenarioContext,
    days: readonly DaySummary[],
  ): Expectation[] | Promise<Expectation[]>;
}
