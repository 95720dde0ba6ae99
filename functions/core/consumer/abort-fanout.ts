/**
 * One abort listener on a parent signal, passed on to a signal per child: a run's stop signal would
 * otherwise carry a listener for every shard's sleep, in-flight call and handler, and Node warns
 * (MaxListenersExceededWarning) past 10 on one signal. Each child signal then carries only its own
 * shard's few listeners.
 */
export class AbortFanout {
  private readonly children = new Set<AbortController>();

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener(
      'abort',
      () => {
        for (const child of this.children) child.abort(parent.reason);
        this.children.clear();
      },
      { once: true },
    );
  }

  /** A signal that aborts with the parent. `release` forgets it once its user is done. */
  child(): { readonly signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    if (this.parent.aborted) controller.abort(this.parent.reason);
    else this.children.add(controller);
    return { signal: controller.signal, release: () => void this.children.delete(controller) };
  }
}
