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
import { validateMessage, type ValidationOptions } from "../fix/dictionary/validate_message.ts";
import type { MessageValidator } from "../session/session.ts";

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
  const options = config.options ?? {};
  if (transport.type !== "FIXT") {
    const dictionaries = { transport };
    return (message) => validateMessage(message, dictionaries, options);
  }
  const applicationFor = config.applicationFor ?? ((id: string) => {
    const version = applVerIdToVersion(id);
    return version === undefined ? undefined : builtinDictionary(version);
  });
  return (message, context) => {
    const application = context.applVerId === undefined
      ? undefined
      : applicationFor(context.applVerId);
    return validateMessage(
      message,
      application === undefined
        ? { transport, applicationFor }
        : { transport, application, applicationFor },
      options,
    );
  };
}
