*** Settings ***
Documentation     Every operation of /api/openapi.json against every kind of caller.
...               The operations come from the live document, so a new route without an
...               entry in resources/authorization_matrix.json fails this suite.

Resource          ../../keywords/matrix.resource

Suite Setup       Prepare The Matrix
Suite Teardown    Disconnect From Api Database

Test Tags         security    authorization    matrix


*** Test Cases ***
Every Documented Operation Has Expectations
    [Documentation]    An operation nobody decided the access rules of is a hole waiting to happen.
    Every Operation Should Have Expectations

Every Operation Answers Every Caller As Expected
    [Documentation]    Anonymous, buyer, seller, owner, other seller, admin, disabled and revoked callers.
    [Template]    Operation Should Answer Actor As Expected
    FOR    ${operation}    IN    @{OPERATIONS}
        FOR    ${actor}    IN    @{ACTORS}
            ${actor}    ${operation}
        END
    END

Every Operation With A Body Refuses Bodies It Cannot Read
    [Documentation]    Broken, foreign and oversized bodies get a clear 4xx from every operation, never a 500.
    [Template]    Operation Should Refuse Bodies It Cannot Read
    FOR    ${operation}    IN    @{BODY_OPERATIONS}
        ${operation}
    END

The Matrix Changes Nothing
    [Documentation]    Probes are refused or invalid: the fixtures must be exactly as the setup left them.
    [Tags]    db
    Matrix Fixtures Should Be Unchanged
