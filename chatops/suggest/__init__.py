"""Model-suggested drafts (issue 14 items 3 and 4): an OpenAI-compatible model drafts from the
customer's words, the conversation, the department's tone notes and the brand's knowledge;
guardrails decide whether a person is shown the suggestion at all.

`llm` talks to the endpoint, `prompt` builds its messages and `guardrails` judges its answer
(both pure), `suggester` is the edge that ties them to a case, `queue` keeps requests in Redis
and `runner` works them off in the background, so a case is never posted later for a model.
"""
