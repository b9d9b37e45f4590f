/**
 * Reads a resource the page already loaded from Chromium's own memory (CDP `Page.getResourceTree` +
 * `Page.getResourceContent`): no new request, so a one-time captcha URL is never fetched twice.
 */

/** The one CDP method we need, as both frameworks' CDPSession expose it. */
export interface CdpSessionLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(method: string, params?: any): Promise<any>;
}

interface FrameTree {
  frame: { id: string; url: string };
  resources?: Array<{ url: string; type?: string }>;
  childFrames?: FrameTree[];
}

function findFrameIds(tree: FrameTree, url: string, out: string[]): void {
  if (tree.resources?.some((r) => r.url === url) || tree.frame.url === url) out.push(tree.frame.id);
  for (const child of tree.childFrames ?? []) findFrameIds(child, url, out);
}

const enabled = new WeakSet<CdpSessionLike>();

export async function readResourceContent(session: CdpSessionLike, url: string): Promise<Buffer | undefined> {
  if (!enabled.has(session)) {
    await session.send('Page.enable'); // getResourceContent answers "Agent is not enabled" without it
    enabled.add(session);
  }
  const { frameTree } = (await session.send('Page.getResourceTree')) as { frameTree: FrameTree };
  const ids: string[] = [];
  findFrameIds(frameTree, url, ids);
  for (const frameId of ids) {
    try {
      const res = (await session.send('Page.getResourceContent', { frameId, url })) as { content: string; base64Encoded: boolean };
      const buf = res.base64Encoded ? Buffer.from(res.content, 'base64') : Buffer.from(res.content, 'utf8');
      if (buf.length > 0) return buf;
    } catch {
      // not in this frame's cache; try the next
    }
  }
  return undefined;
}
