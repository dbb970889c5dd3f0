"""The study companion, a service beside asking: questions and flashcards made from the indexed passages
(``questions``, ``bank``), FSRS scheduling and member data in Redis (``records``), learning paths on the
Atlas map (``paths``), a group's rhythm (``rhythm``), study requests in plain words (``requests``), and
``service.CompanionService`` joining them for the adapters and the CLI (replies in ``replies``)."""
