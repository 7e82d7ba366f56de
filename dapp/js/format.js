// Numbers as people read them. Amounts arrive as decimal strings of base units (uint256).

export function units(value, decimals = 0, digits = 2) {
  if (value === null || value === undefined) return "–";
  const raw = BigInt(value);
  const negative = raw < 0n;
  const abs = negative ? -raw : raw;
  const scale = 10n ** BigInt(decimals);
  const whole = abs / scale;
  let text = whole.toLocaleString("en-US");
  if (decimals > 0 && digits > 0) {
    const fraction = ((abs % scale) * 10n ** BigInt(digits)) / scale;
    text += "." + fraction.toString().padStart(digits, "0");
  }
  return (negative ? "-" : "") + text;
}

/** Base units from what a person typed ("12.5" with 6 decimals: "12500000"). */
export function toBase(text, decimals) {
  const clean = String(text).trim();
  if (!/^\d+(\.\d+)?$/.test(clean)) throw new Error(`"${text}" is not an amount`);
  const [whole, fraction = ""] = clean.split(".");
  if (fraction.length > decimals) throw new Error(`at most ${decimals} decimals`);
  return (BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0")).toString();
}

/** A whole number as typed ("1000"), or an error naming the field. */
export function whole(text, label) {
  const clean = String(text ?? "").trim();
  if (!/^\d+$/.test(clean)) throw new Error(`${label}: "${text}" is not a whole number`);
  return clean;
}

export function energy(wh) {
  const n = Number(wh);
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GWh`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MWh`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kWh`;
  return `${n} Wh`;
}

export function power(watts) {
  const n = Number(watts);
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MW` : `${(n / 1e3).toFixed(0)} kW`;
}

export function date(seconds) {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
}

export function short(address) {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : "";
}

export function percent(bps) {
  return `${(Number(bps) / 100).toFixed(1)}%`;
}

/** Text safe to put in HTML. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
