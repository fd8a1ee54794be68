/**
 * The fields of the Generate and Edit dialogs: rights as checkboxes with "Grant all current and future
 * rights" (The Things Stack's wording), the expiry, and the networks the key may be used from.
 */
import { useId } from "react";
import { descriptionOf, labelOf, rights, rightsChoiceFor, type KeyOwner } from "../rights.js";
import { EXPIRY_PRESETS, tomorrow, type ExpiryChoice } from "./expiry.js";

/** Props of {@link RightsField}. */
export interface RightsFieldProps {
  readonly owner: KeyOwner;
  readonly selected: ReadonlySet<number>;
  readonly onChange: (selected: Set<number>) => void;
}

/** Rights checkboxes; a checked pseudo-right shows what it covers as checked and locked. */
export function RightsField({ owner, selected, onChange }: RightsFieldProps) {
  const choice = rightsChoiceFor(owner);
  const covered = new Set<number>();
  for (const right of selected) if (rights.isPseudo(right)) for (const r of rights.expand([right])) if (r !== right) covered.add(r);
  const toggle = (right: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(right);
    else next.delete(right);
    onChange(next);
  };
  const box = (right: number, strong = false) => {
    const isCovered = covered.has(right);
    return (
      <label key={right} className={strong ? "check check-strong" : "check"}>
        <input
          type="checkbox"
          name="rights"
          value={rights.name(right)}
          checked={selected.has(right) || isCovered}
          disabled={isCovered}
          onChange={(event) => toggle(right, event.target.checked)}
        />
        <span>
          <span className="check-label">{strong ? "Grant all current and future rights" : labelOf(right)}</span>
          <span className="check-help">{strong ? descriptionOf(choice.all) : descriptionOf(right)}</span>
        </span>
      </label>
    );
  };
  return (
    <fieldset className="fieldset">
      <legend>Rights</legend>
      {box(choice.all, true)}
      <div className="rights-groups">
        {choice.groups.map((group) => (
          <fieldset key={group.title} className="fieldset-inner">
            <legend>{group.title}</legend>
            {group.rights.map((right) => box(right))}
          </fieldset>
        ))}
      </div>
    </fieldset>
  );
}

/** Props of {@link ExpiryField}. */
export interface ExpiryFieldProps {
  readonly value: ExpiryChoice;
  readonly onChange: (value: ExpiryChoice) => void;
  /** Offer "keep as it is" (edit) and say what it is now. */
  readonly current?: string;
}

/** Expiry: never by default, presets, or a date. */
export function ExpiryField({ value, onChange, current }: ExpiryFieldProps) {
  const dateId = useId();
  const selectId = useId();
  const selectValue = value.kind === "days" ? `days-${value.days}` : value.kind;
  return (
    <fieldset className="fieldset">
      <legend>Expiry</legend>
      <div className="row">
        <div className="field grow">
          <label htmlFor={selectId}>Expires</label>
          <select
            id={selectId}
            value={selectValue}
            onChange={(event) => {
              const v = event.target.value;
              if (v === "keep" || v === "never") onChange({ kind: v });
              else if (v === "date") onChange({ kind: "date", date: tomorrow() });
              else onChange({ kind: "days", days: Number(v.slice("days-".length)) });
            }}
          >
            {current !== undefined && <option value="keep">Keep as it is ({current})</option>}
            <option value="never">Never (non-expiring)</option>
            {EXPIRY_PRESETS.map((days) => (
              <option key={days} value={`days-${days}`}>
                In {days} days
              </option>
            ))}
            <option value="date">On a date…</option>
          </select>
        </div>
        {value.kind === "date" && (
          <div className="field grow">
            <label htmlFor={dateId}>Expires on</label>
            <input id={dateId} type="date" required min={tomorrow()} value={value.date} onChange={(event) => onChange({ kind: "date", date: event.target.value })} />
          </div>
        )}
      </div>
    </fieldset>
  );
}

/** The rights to send: the selection without rights a selected pseudo-right already covers. */
export function grantedRights(selected: ReadonlySet<number>): number[] {
  const covered = new Set<number>();
  for (const right of selected) if (rights.isPseudo(right)) for (const r of rights.expand([right])) if (r !== right) covered.add(r);
  return [...selected].filter((right) => !covered.has(right)).sort((a, b) => a - b);
}

/** Props of {@link NetworksField}. */
export interface NetworksFieldProps {
  /** As typed: addresses or CIDRs, one per line or comma-separated. */
  readonly value: string;
  readonly onChange: (value: string) => void;
}

/**
 * "Allowed networks" (ARCHITECTURE.md, "The network edge"): empty means anywhere. The API checks each entry and names a bad one in
 * its refusal, which the dialog shows; the console does not judge addresses itself.
 */
export function NetworksField({ value, onChange }: NetworksFieldProps) {
  const id = useId();
  const helpId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Allowed networks</label>
      <textarea
        id={id}
        name="allowed-ips"
        rows={2}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        placeholder="Anywhere, or e.g. 10.0.0.0/8"
        spellCheck={false}
        aria-describedby={helpId}
      />
      <span id={helpId} className="check-help">
        Addresses or CIDRs, one per line.
      </span>
    </div>
  );
}

/** The entries of a {@link NetworksField}'s text. */
export function networkEntries(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
