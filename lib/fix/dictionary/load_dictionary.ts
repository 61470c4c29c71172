/**
 * Loading QuickFIX-format XML data dictionaries at run time (a venue's custom dictionary).
 *
 * @module
 */

import { DEFAULT_MAX_DICTIONARY_XML_BYTES, parseDictionaryXml } from "./_spec.ts";
import { Dictionary } from "./dictionary.ts";

/** Options for {@linkcode loadDictionary}. */
export interface LoadDictionaryOptions {
  /** Largest XML text accepted. Default {@linkcode DEFAULT_MAX_DICTIONARY_XML_BYTES}. */
  readonly maxXmlBytes?: number;
}

/**
 * Builds a {@linkcode Dictionary} from the text of a QuickFIX-format XML data dictionary
 * (`<fix>` with `<header>`, `<trailer>`, `<messages>`, `<components>`, `<fields>`).
 *
 * @param xmlText the XML document
 * @param sourceName a label for error messages, usually the file name
 * @throws {DictionaryError} on bad XML, missing sections or attributes, references to undefined
 *   fields or components; the message names the source and the element
 *
 * @example
 * ```ts
 * import { loadDictionary } from "./load_dictionary.ts";
 * const dict = loadDictionary(`<fix major='4' minor='4'><header/><trailer/>
 *   <messages><message name='Heartbeat' msgtype='0' msgcat='admin'/></messages>
 *   <fields><field number='112' name='TestReqID' type='STRING'/></fields></fix>`, "tiny.xml");
 * dict.isAdminMessage("0"); // true
 * ```
 */
export function loadDictionary(
  xmlText: string,
  sourceName: string,
  options: LoadDictionaryOptions = {},
): Dictionary {
  const spec = parseDictionaryXml(
    xmlText,
    sourceName,
    options.maxXmlBytes ?? DEFAULT_MAX_DICTIONARY_XML_BYTES,
  );
  return new Dictionary(spec, sourceName);
}
