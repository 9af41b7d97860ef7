import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** Changing it (navigating elsewhere) clears a caught error, so the next page gets its chance. */
  resetKey: string;
  children: ReactNode;
}

interface State {
  error: unknown;
  key: string;
}

/**
 * Shows a failed render as a message instead of unmounting the app: React removes the whole tree when a
 * render throws and nothing catches it, which left a white page.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: undefined, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error ?? new Error('unknown error') };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.key ? null : { error: undefined, key: props.resetKey };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('page failed to render', error, info.componentStack);
  }

  override render() {
    const { error } = this.state;
    if (error === undefined) return this.props.children;
    return (
      <section className="problem" role="alert" data-testid="page-error">
        <strong>This page could not be shown.</strong>
        <p>{error instanceof Error ? error.message : String(error)}</p>
        <p>
          <a href="/cases">Go to the cases</a> or go back and try another link.
        </p>
      </section>
    );
  }
}
