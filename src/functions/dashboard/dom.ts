/**
 * The few browser APIs the dashboard uses, typed here instead of adding the DOM library to the project's one
 * tsconfig (that would change the types of Node's timers for every other file). Elements are only ever built
 * with textContent and attributes: nothing from the API is parsed as HTML.
 */

export interface DomNode {
  textContent: string | null;
}

export interface DomElement extends DomNode {
  className: string;
  hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
  readonly classList: { toggle(name: string, force?: boolean): boolean };
  append(...nodes: Array<DomElement | string>): void;
  replaceChildren(...nodes: Array<DomElement | string>): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: (event: DomEvent) => void): void;
  querySelector(selectors: string): DomElement | null;
  remove(): void;
}

export interface DomInput extends DomElement {
  value: string;
  disabled: boolean;
  focus(): void;
}

export interface DomEvent {
  readonly target: DomElement | null;
  preventDefault(): void;
}

export interface DomButton extends DomElement {
  disabled: boolean;
}

interface DomDocument {
  createElement(tag: string): DomElement;
  createElementNS(namespace: string, tag: string): DomElement;
  getElementById(id: string): DomElement | null;
}

interface DomStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface Browser {
  document: DomDocument;
  sessionStorage: DomStorage;
}

export const browser = globalThis as unknown as Browser;

const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | undefined>;

function withAttrs(element: DomElement, attrs: Attrs): DomElement {
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) element.setAttribute(name, String(value));
  return element;
}

/** An HTML element with attributes and children; strings become text, never markup. */
export function h(tag: string, attrs: Attrs = {}, ...children: Array<DomElement | string>): DomElement {
  const element = withAttrs(browser.document.createElement(tag), attrs);
  element.append(...children);
  return element;
}

/** An SVG element with attributes and children. */
export function svg(tag: string, attrs: Attrs = {}, ...children: Array<DomElement | string>): DomElement {
  const element = withAttrs(browser.document.createElementNS(SVG_NS, tag), attrs);
  element.append(...children);
  return element;
}

export function byId(id: string): DomElement {
  const element = browser.document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}
