/**
 * Dictionary validation for sessions: builds the session layer's
 * {@linkcode MessageValidator} from the built-in (or supplied) dictionaries.
 *
 * For FIXT.1.1 sessions admin messages are checked against FIXT.1.1 and
 * application messages against the dictionary of their ApplVerID (1128) or,
 * without one, of the counterparty's DefaultApplVerID from its Logon.
 *
 * @module
 */

import { applVerIdToVersion, builtinDictionary } from "../fix/dictionary/builtin_dictionary.ts";
import type { Dictionary } from "../fix/dictionary/dictionary.ts";
import {
  DEFAULT_VALIDATION_OPTIONS,
  validateMessage,
  type ValidationDictionaries,
  type ValidationOptions,
} from "../fix/dictionary/validate_message.ts";
import type { MessageValidator } from "../session/session.ts";

/** Most application dictionaries a FIXT validator keeps its look-up argument for. */
const MAX_CACHED_APPLICATION_DICTIONARIES = 32;

/** Options for {@linkcode dictionaryValidator}. */
export interface DictionaryValidatorOptions {
  /** QuickFIX-style switches; defaults are QuickFIX's. */
  readonly options?: Partial<ValidationOptions>;
  /** Session (transport) dictionary; default: the built-in one for the BeginString. */
  readonly transport?: Dictionary;
  /** Application dictionary by ApplVerID code; default: the built-in ones. */
  readonly applicationFor?: (applVerId: string) => Dictionary | undefined;
}

/** A validator for sessions of `beginString` (`FIX.4.x` or `FIXT.1.1`). */
export function dictionaryValidator(
  beginString: string,
  config: DictionaryValidatorOptions = {},
): MessageValidator {
  const transport = config.transport ?? builtinDictionary(beginString);
  // complete once: partial options would be merged with the defaults for every message
  const options: ValidationOptions = { ...DEFAULT_VALIDATION_OPTIONS, ...config.options };
  if (transport.type !== "FIXT") {
    const dictionaries = { transport };
    return (message) => validateMessage(message, dictionaries, options);
  }
  const applicationFor = config.applicationFor ?? ((id: string) => {
    const version = applVerIdToVersion(id);
    return version === undefined ? undefined : builtinDictionary(version);
  });
  // the dictionaries argument per application dictionary, made once each (not per message)
  const plain: ValidationDictionaries = { transport, applicationFor };
  const withApplication = new Map<Dictionary, ValidationDictionaries>();
  return (message, context) => {
    const application = context.applVerId === undefined
      ? undefined
      : applicationFor(context.applVerId);
    let dictionaries = plain;
    if (application !== undefined) {
      const known = withApplication.get(application);
      dictionaries = known ?? { transport, application, applicationFor };
      // bounded: an `applicationFor` that makes a new dictionary per call is not cached
      if (known === undefined && withApplication.size < MAX_CACHED_APPLICATION_DICTIONARIES) {
        withApplication.set(application, dictionaries);
      }
    }
    return validateMessage(message, dictionaries, options);
  };
}
