*** Settings ***
Documentation     Login: tokens for the right people, one answer for every wrong guess,
...               and a brake on guessing that holds across gunicorn workers.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/sessions.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         users    auth    login


*** Test Cases ***
Login Returns A Working Token
    [Documentation]    The whole product starts from a session that the API accepts.
    [Tags]    smoke    db
    ${buyer} =    Register Verified Buyer
    Token Should Work    ${buyer}
    Successful Logins Recorded Should Be    ${buyer}[email]    1

Wrong Password And Unknown Email Look The Same
    [Documentation]    Distinct answers would tell attackers which emails have accounts.
    [Tags]    security    db
    ${buyer} =    Register Verified Buyer
    ${wrong} =    Login Should Be Refused    ${buyer}[email]    Wrong-Password-99    401
    ...    invalid_credentials
    ${unknown} =    Login Should Be Refused    nobody-${buyer}[email]    Wrong-Password-99    401
    ...    invalid_credentials
    Problems Should Be Identical    ${wrong}    ${unknown}
    Failed Logins Recorded Should Be    ${buyer}[email]    1

Email Letter Case Does Not Matter At Login
    [Documentation]    People type their address in any case; it is the same account.
    ${buyer} =    Register Verified Buyer
    ${response} =    Attempt Login    ${{$buyer['email'].upper()}}    ${buyer}[password]
    Should Be Equal As Integers    ${response.status_code}    200

Disabled Account Cannot Log In
    [Documentation]    A disabled account must not get new sessions, even with the right password.
    [Tags]    security    db
    ${seller} =    Register Verified Seller
    Disable Account As    ${ADMIN}    ${seller}
    Login Should Be Refused    ${seller}[email]    ${seller}[password]    403    account_disabled
    Account Should Be Persisted As    ${seller}    status=disabled

Malformed Logins Are Refused
    [Documentation]    Bad login bodies are 4xx problems, never 500s.
    [Tags]    validation
    [Template]    Login Body Should Be Refused
    ${{{"email": "a@example.com"}}}    422    validation_error
    ${{{"password": "x"}}}    422    validation_error
    ${{{"email": 5, "password": "x"}}}    422    validation_error
    ${{{"email": "a@example.com", "password": "x", "x": 1}}}    422    validation_error
    ${{[]}}    422    validation_error

Repeated Failures Are Rate Limited Per Email
    [Documentation]    Online guessing must stop after a few tries, and the record is in PostgreSQL.
    [Tags]    security    rate-limit    db
    ${buyer} =    Register Verified Buyer
    Fail Logins    ${buyer}[email]    ${LOGIN_MAX_FAILURES}    client_ip=${buyer}[client_ip]
    Login Should Be Rate Limited    ${buyer}
    Failed Logins Recorded Should Be    ${buyer}[email]    ${LOGIN_MAX_FAILURES}

The Limit Lifts After The Window
    [Documentation]    A locked-out owner gets back in once the window has passed.
    [Tags]    security    rate-limit    db
    ${buyer} =    Register Verified Buyer
    Fail Logins    ${buyer}[email]    ${LOGIN_MAX_FAILURES}    client_ip=${buyer}[client_ip]
    ${retry_after} =    Login Should Be Rate Limited    ${buyer}
    Sleep    ${retry_after + 1}
    Log In As    ${buyer}
    Token Should Work    ${buyer}

Repeated Failures Are Rate Limited Per Client Address
    [Documentation]    Spraying many emails from one address is stopped too, without locking out others.
    [Tags]    security    rate-limit
    ${buyer} =    Register Verified Buyer
    ${attacker_ip} =    Evaluate    "10.%d.%d.%d" % tuple(random.randint(1, 254) for _ in range(3))
    ...    modules=random
    FOR    ${index}    IN RANGE    ${LOGIN_MAX_FAILURES_PER_IP}
        Fail Logins    spray-${index}-${buyer}[email]    1    client_ip=${attacker_ip}
    END
    Login Should Be Rate Limited    ${buyer}    client_ip=${attacker_ip}
    Log In As    ${buyer}
