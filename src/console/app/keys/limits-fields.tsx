/**
 * The limits part of the Generate and Edit dialogs: a rate limit (calls per period), usage credits
 * (remaining uses and a refill) and metadata (key/value rows, at most 16), folded away under one summary
 * beside the expiry and networks until wanted, so the dialog still fits a laptop screen. A refusal of the API that names one of these
 * fields is shown next to it, in the API's words.
 */
import { useEffect, useId, useState, type ReactNode } from "react";
import type { FieldProblem } from "../api-error.js";
import { MessageText } from "../components/error-text.js";
import {
  duplicateMetadataRows,
  METADATA_MAX_ENTRIES,
  metadataRow,
  PERIOD_UNITS,
  type LimitsInput,
  type MetadataRow,
  type PerPeriodInput,
  type PeriodUnit,
} from "./key-limits.js";

/** Props of {@link LimitsFields}. */
export interface LimitsFieldsProps {
  readonly value: LimitsInput;
  readonly onChange: (value: LimitsInput) => void;
  /** The bad fields of the dialog's last refusal. */
  readonly problems: readonly FieldProblem[];
  /** Unfolded from the start (an edit of a key that has limits or metadata). */
  readonly startOpen: boolean;
}

/** The limit fields of a refusal, by what the dialog groups them under. */
type Group = "rate_limit" | "remaining_uses" | "refill" | "metadata";

/** Where a violation belongs: `api_key.rate_limit.period` → rate_limit, `metadata["plan"]` → metadata (plan). */
export function problemGroup(field: string): { group: Group; rest: string } | undefined {
  const match = /^(?:api_key\.)?(rate_limit|remaining_uses|refill|metadata)(.*)$/.exec(field);
  return match ? { group: match[1] as Group, rest: match[2]! } : undefined;
}

/** The metadata key a violation's path names (`metadata["plan"]`, `metadata[plan]`, `metadata.plan`), if any. */
function metadataKeyOf(rest: string): string | undefined {
  const match = /^\[(?:"((?:[^"\\]|\\.)*)"|([^\]]*))\]|^\.(.+)$/.exec(rest);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? match[3]);
}

/** A violation's sub-field in words ("Period: must be …"). */
const PARTS: Readonly<Record<string, string>> = { ".requests": "Calls", ".amount": "Amount", ".period": "Period" };

/** The limit fields. */
export function LimitsFields({ value, onChange, problems, startOpen }: LimitsFieldsProps) {
  const [open, setOpen] = useState(startOpen);
  const grouped = new Map<Group, FieldProblem[]>();
  for (const problem of problems) {
    const at = problemGroup(problem.field);
    if (at) grouped.set(at.group, [...(grouped.get(at.group) ?? []), { field: at.rest, description: problem.description }]);
  }
  // A refusal about a folded field unfolds it, so the message is seen next to the field it names.
  const refused = grouped.size > 0;
  useEffect(() => {
    if (refused) setOpen(true);
  }, [refused, problems]); // `problems` is new with each refusal (the dialog keeps it per error)
  const count = summaryOf(value);
  return (
    <details className="fieldset limits" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>
        <span className="limits-title">Rate limit, uses and metadata</span> <span className="muted small">{count}</span>
      </summary>
      <div className="fields-row limits-body">
        <fieldset className="fieldset">
          <legend>Rate limit</legend>
          <PerPeriod
            name="Rate limit"
            amountLabel="Calls allowed"
            periodLabel="per"
            placeholder="No limit"
            units={PERIOD_UNITS.map((u) => u.unit)}
            value={value.rateLimit}
            onChange={(rateLimit) => onChange({ ...value, rateLimit })}
            problems={grouped.get("rate_limit")}
          />
          <span className="check-help">Empty: no limit. A call over it is refused until the period ends.</span>
        </fieldset>
        <fieldset className="fieldset">
          <legend>Usage</legend>
          <NumberField
            label="Remaining uses"
            placeholder="Unlimited"
            value={value.remainingUses}
            onChange={(remainingUses) => onChange({ ...value, remainingUses })}
            problems={grouped.get("remaining_uses")}
          />
          <PerPeriod
            name="Refill"
            amountLabel="Refill to"
            periodLabel="every"
            placeholder="No refill"
            units={["day", "hour", "minute"]}
            value={value.refill}
            onChange={(refill) => onChange({ ...value, refill })}
            problems={grouped.get("refill")}
          />
          <span className="check-help">Each call takes one use; empty: unlimited. A refill sets the uses back to its amount.</span>
        </fieldset>
      </div>
      <MetadataField rows={value.metadata} onChange={(metadata) => onChange({ ...value, metadata })} problems={grouped.get("metadata") ?? []} />
    </details>
  );
}

/** What the folded summary says is set: "100 calls per minute, 3 uses, 2 metadata entries", or "none". */
function summaryOf(value: LimitsInput): string {
  const parts: string[] = [];
  if (value.rateLimit.amount.trim() !== "") parts.push("rate limit");
  if (value.remainingUses.trim() !== "") parts.push(value.refill.amount.trim() !== "" ? "uses with refill" : "uses");
  const entries = value.metadata.filter((row) => row.key.trim() !== "" || row.value !== "").length;
  if (entries > 0) parts.push(`${entries} metadata ${entries === 1 ? "entry" : "entries"}`);
  return parts.length === 0 ? "(none)" : `(${parts.join(", ")})`;
}

/** A refusal's words under the field it names; `id` is what the field's `aria-describedby` points at. */
function ProblemText({ id, problems }: { readonly id: string; readonly problems: readonly FieldProblem[] | undefined }) {
  if (!problems || problems.length === 0) return null;
  return (
    <span id={id} className="field-error">
      {problems.map((problem, i) => (
        <span key={i} className="field-error-line">
          {PARTS[problem.field] !== undefined && `${PARTS[problem.field]}: `}
          <MessageText text={problem.description} />
        </span>
      ))}
    </span>
  );
}

/**
 * A number input for whole numbers; marked invalid, and described by the refusal's words, when
 * `problemId` is given. The range is the API's to judge (so its refusal names it); `min` only keeps the
 * spinner's arrows from going below it.
 */
function WholeNumberInput(props: {
  readonly id: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly placeholder?: string;
  readonly min?: number;
  readonly problemId: string | undefined;
}) {
  return (
    <input
      id={props.id}
      type="number"
      inputMode="numeric"
      min={props.min ?? 0}
      step={1}
      value={props.value}
      placeholder={props.placeholder}
      onChange={(event) => props.onChange(event.target.value)}
      aria-invalid={props.problemId !== undefined || undefined}
      aria-describedby={props.problemId}
    />
  );
}

/** A whole-number input with its label; empty means "none". */
function NumberField(props: {
  readonly label: string;
  readonly placeholder: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly problems: readonly FieldProblem[] | undefined;
}) {
  const id = useId();
  const problemId = useId();
  const invalid = (props.problems?.length ?? 0) > 0;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <WholeNumberInput id={id} value={props.value} placeholder={props.placeholder} onChange={props.onChange} problemId={invalid ? problemId : undefined} />
      <ProblemText id={problemId} problems={props.problems} />
    </div>
  );
}

/** "N per period" (a rate limit) or "to N every period" (a refill): an amount, a count and a unit. */
function PerPeriod(props: {
  readonly name: string;
  readonly amountLabel: string;
  readonly periodLabel: string;
  readonly placeholder: string;
  readonly units: readonly PeriodUnit[];
  readonly value: PerPeriodInput;
  readonly onChange: (value: PerPeriodInput) => void;
  readonly problems: readonly FieldProblem[] | undefined;
}) {
  const amountId = useId();
  const countId = useId();
  const problemId = useId();
  const { value, onChange } = props;
  const invalid = (props.problems?.length ?? 0) > 0;
  const problemIdIf = invalid ? problemId : undefined;
  const plural = value.period.count.trim() !== "1";
  return (
    <div className="field">
      <div className="per-period">
        <div className="field">
          <label htmlFor={amountId}>{props.amountLabel}</label>
          <WholeNumberInput id={amountId} value={value.amount} placeholder={props.placeholder} onChange={(amount) => onChange({ ...value, amount })} problemId={problemIdIf} />
        </div>
        <div className="field per-period-count">
          <label htmlFor={countId}>
            {props.periodLabel}
            <span className="visually-hidden"> ({props.name} period)</span>
          </label>
          <WholeNumberInput id={countId} min={1} value={value.period.count} onChange={(count) => onChange({ ...value, period: { ...value.period, count } })} problemId={problemIdIf} />
        </div>
        <select
          className="per-period-unit"
          aria-label={`${props.name} period unit`}
          value={value.period.unit}
          onChange={(event) => onChange({ ...value, period: { ...value.period, unit: event.target.value as PeriodUnit } })}
        >
          {props.units.map((unit) => (
            <option key={unit} value={unit}>
              {plural ? `${unit}s` : unit}
            </option>
          ))}
        </select>
      </div>
      <ProblemText id={problemId} problems={props.problems} />
    </div>
  );
}

/** Metadata as rows of key and value; at most {@link METADATA_MAX_ENTRIES}. */
function MetadataField({ rows, onChange, problems }: { readonly rows: readonly MetadataRow[]; readonly onChange: (rows: MetadataRow[]) => void; readonly problems: readonly FieldProblem[] }) {
  const helpId = useId();
  const duplicates = duplicateMetadataRows(rows);
  // A refusal naming an entry's key goes to that row; one naming the whole map, under the rows.
  const byKey = new Map<string, FieldProblem[]>();
  const general: FieldProblem[] = [];
  for (const problem of problems) {
    // A bad key is reported on the whole map, quoting the key (`key \`plan!\` must be …`).
    const key = metadataKeyOf(problem.field) ?? /^key `([^`]*)`/.exec(problem.description)?.[1];
    if (key !== undefined && rows.some((row) => row.key.trim() === key)) byKey.set(key, [...(byKey.get(key) ?? []), { field: "", description: problem.description }]);
    else general.push({ field: "", description: problem.description });
  }
  const full = rows.length >= METADATA_MAX_ENTRIES;
  const replace = (index: number, row: MetadataRow) => onChange(rows.map((r, i) => (i === index ? row : r)));
  return (
    <fieldset className="fieldset metadata" aria-describedby={helpId}>
      <legend>Metadata</legend>
      <span id={helpId} className="check-help">
        What the services behind a gateway learn of the key, such as a plan or a customer id. Every reader of the key sees it: not for secrets.
      </span>
      {rows.length > 0 && (
        <ol className="metadata-rows">
          {rows.map((row, index) => {
            const own = byKey.get(row.key.trim());
            const duplicate = duplicates.has(row.id) ? [{ field: "", description: "this key is already used above; each key once" }] : undefined;
            return (
              <MetadataRowField
                key={row.id}
                index={index}
                row={row}
                problems={duplicate ?? own}
                onChange={(next) => replace(index, next)}
                onRemove={() => onChange(rows.filter((r) => r.id !== row.id))}
              />
            );
          })}
        </ol>
      )}
      {general.length > 0 && <ProblemText id={`${helpId}-problems`} problems={general} />}
      <div className="row metadata-actions">
        <button type="button" className="button button-small" disabled={full} onClick={() => onChange([...rows, metadataRow()])}>
          Add metadata entry
        </button>
        <span className="check-help" aria-live="polite">
          {full ? `At most ${METADATA_MAX_ENTRIES} entries.` : `${rows.length} of ${METADATA_MAX_ENTRIES}`}
        </span>
      </div>
    </fieldset>
  );
}

function MetadataRowField(props: {
  readonly index: number;
  readonly row: MetadataRow;
  readonly problems: readonly FieldProblem[] | undefined;
  readonly onChange: (row: MetadataRow) => void;
  readonly onRemove: () => void;
}): ReactNode {
  const { index, row } = props;
  const problemId = useId();
  const invalid = (props.problems?.length ?? 0) > 0;
  const n = index + 1;
  return (
    <li className="metadata-row">
      <input
        aria-label={`Metadata key ${n}`}
        placeholder="key, e.g. plan"
        value={row.key}
        spellCheck={false}
        maxLength={64}
        onChange={(event) => props.onChange({ ...row, key: event.target.value })}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? problemId : undefined}
      />
      <input
        aria-label={`Metadata value ${n}`}
        placeholder="value"
        value={row.value}
        onChange={(event) => props.onChange({ ...row, value: event.target.value })}
        aria-invalid={invalid || undefined}
        aria-describedby={invalid ? problemId : undefined}
      />
      <button type="button" className="button button-small button-danger-quiet" aria-label={`Remove metadata entry ${n}`} onClick={props.onRemove}>
        Remove
      </button>
      <ProblemText id={problemId} problems={props.problems} />
    </li>
  );
}
