/**
 * An action that can announce a parked approval (an approval step's `notify`). The runtime fills the input
 * keys `approvalPromptKeys` names and puts the approval's message in `message` unless the playbook set it.
 * `callback`: the message's buttons call back into Riposte with the approval id (Slack interactivity).
 * `links`: the buttons open signed one-click links, so the action is called once per person in `to`, each
 * time with that person's links.
 */
export interface ApprovalPrompt {
  via: 'links' | 'callback';
  /** The input key that carries the approval's message (a title, a text). */
  message: string;
}

/** The input keys the runtime fills for an approval prompt; a playbook does not set them. */
export function approvalPromptKeys(prompt: Pick<ApprovalPrompt, 'via'>): readonly string[] {
  return prompt.via === 'links' ? ['approvalId', 'approveUrl', 'rejectUrl', 'approver'] : ['approvalId'];
}
