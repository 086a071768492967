/** Kubernetes naming rules, with its wording in the messages. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Each function returns undefined when the value is valid, else the reason. */
export type NameRule = (value: string) => string | undefined;

export const dns1123Label: NameRule = (v) =>
  v.length > 63
    ? 'must be no more than 63 characters'
    : DNS1123_LABEL.test(v)
      ? undefined
      : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')";

export const dns1123Subdomain: NameRule = (v) =>
  v.length > 253
    ? 'must be no more than 253 characters'
    : DNS1123_SUBDOMAIN.test(v)
      ? undefined
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";

export const dns1035Label: NameRule = (v) =>
  v.length > 63
    ? 'must be no more than 63 characters'
    : DNS1035_LABEL.test(v)
      ? undefined
      : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')";

export const labelValue: NameRule = (v) =>
  v.length > 63
    ? 'must be no more than 63 characters'
    : LABEL_VALUE.test(v)
      ? undefined
      : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** qualifiedName: an optional DNS subdomain prefix and '/', then a name part (label keys). */
export const qualifiedName: NameRule = (v) => {
  const parts = v.split('/');
  if (parts.length > 2) return "a qualified name must consist of an optional DNS subdomain prefix and '/', then a name";
  const name = parts[parts.length - 1] as string;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === '') return 'prefix part must be non-empty';
    const bad = dns1123Subdomain(prefix);
    if (bad) return `prefix part ${bad}`;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  return QUALIFIED_NAME_PART.test(name)
    ? undefined
    : "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
};

export const ianaServiceName: NameRule = (v) => {
  if (v.length > 15) return 'must be no more than 15 characters';
  if (!IANA_SVC_NAME.test(v) || v.includes('--')) return "must contain only lowercase alphanumeric characters or '-', start and end with an alphanumeric character, without '--'";
  if (!/[a-z]/.test(v)) return 'must contain at least one letter (a-z)';
  return undefined;
};

export const envVarName: NameRule = (v) =>
  ENV_VAR_NAME.test(v) ? undefined : "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";
