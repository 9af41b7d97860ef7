/** A link button on the card; `style` colours it (Adaptive Cards 1.4 action styles). */
export interface CardLink {
  title: string;
  url: string;
  style?: 'positive' | 'destructive';
}

/**
 * The message an incoming webhook takes: one attachment holding an Adaptive Card 1.4
 * (https://adaptivecards.io/schemas/adaptive-card.json), the highest version Teams renders everywhere.
 */
export function adaptiveCardMessage(input: {
  title: string;
  text: string;
  facts: ReadonlyArray<{ title: string; value: string }>;
  links: readonly CardLink[];
}): Record<string, unknown> {
  const body: unknown[] = [
    { type: 'TextBlock', text: input.title, weight: 'Bolder', size: 'Medium', wrap: true },
  ];
  if (input.text) body.push({ type: 'TextBlock', text: input.text, wrap: true });
  if (input.facts.length)
    body.push({ type: 'FactSet', facts: input.facts.map((f) => ({ title: f.title, value: f.value })) });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions: input.links.map((l) => ({
            type: 'Action.OpenUrl',
            title: l.title,
            url: l.url,
            ...(l.style ? { style: l.style } : {}),
          })),
        },
      },
    ],
  };
}
