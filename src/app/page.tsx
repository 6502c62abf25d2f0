export default function Home() {
  return (
    <main>
      <h1>KiloClaw</h1>
      <p>Your own AI assistant on Telegram, Discord and Slack.</p>
    </main>
  );
}
