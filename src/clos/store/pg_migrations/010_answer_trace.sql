-- Issue 16: each answer keeps how it was produced (AnswerTrace, JSON) and what the user was
-- shown beyond the text: key passage, verified flag, mode, closest passages, refusal reason,
-- warnings, grounding (JSON object ``detail``), so ``store.answer(id)`` rebuilds the Answer.
ALTER TABLE answers ADD COLUMN trace TEXT;
ALTER TABLE answers ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
