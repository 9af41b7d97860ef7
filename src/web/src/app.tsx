/** The Riposte console: the pages an analyst works in. */
export function App() {
  return (
    <main>
      <h1>Riposte</h1>
    </main>
  );
}
