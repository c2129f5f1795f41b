*** Settings ***
Documentation    Random interleavings of every actor's operations, with the model as oracle:
...              amounts, stock, statuses, histories and who sees what, after every step.

Resource         ../../keywords/model_based.resource

Test Tags        workflow    payments    db    model-based    sandbox-only


*** Test Cases ***
Random Interleavings Keep The Books, The Stock And The Views
    [Documentation]    Holes no one thought to test show up as a short sequence the model disagrees with.
    # 84 steps, each checked against the database: 30 s alone, near two minutes beside the
    # rest of `make test` on two cores, more with every call traced.
    [Timeout]    4 minutes
    Random Interleavings Should Keep The Model
