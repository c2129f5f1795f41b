*** Settings ***
Documentation     Liveness, readiness, and the cross-cutting behaviour of every route.

Resource          ../../keywords/health.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         health


*** Test Cases ***
Liveness Answers Ok
    [Documentation]    Load balancers need a cheap signal that the process serves requests.
    [Tags]    smoke
    Service Should Be Alive

Readiness Checks Database And Migrations
    [Documentation]    Traffic must only reach an instance whose schema is current.
    [Tags]    smoke    db
    Service Should Be Ready
    Applied Migrations Should Match Files

Request Id Is Echoed
    [Documentation]    Support joins a client's report to server logs through the request id.
    Request Id Should Be Echoed    test-${{uuid.uuid4().hex}}

Request Id Is Generated When Missing Or Malformed
    [Documentation]    Every response, errors included, carries a request id that logs can be searched by.
    [Template]    Request Id Should Be Generated
    ${NONE}
    bad id with spaces
    ${{"x" * 300}}

Cors Preflight Is Answered
    [Documentation]    Browser clients on other origins must be able to call the API.
    Preflight Should Allow    /api/health    GET
