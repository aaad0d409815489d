/**
 * The one way this extension makes DOM: elements with a class and text set through
 * `textContent`. Nothing from a payload ever goes through innerHTML, an attribute that is
 * interpreted (href, src, style, on*), or a selector.
 *
 *   const cell = el("span", "tl-cell", trialName); // text, whatever trialName contains
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Replaces an element's children with text. */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Resolves in a new task (a message-channel round trip: no 4 ms timer clamp), letting the page breathe. */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
