*** Settings ***
Documentation     Email verification: a link that works once, in time, for its own account.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/sessions.resource
Resource          ../../keywords/verification.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         users    verification


*** Test Cases ***
Verification Activates The Account
    [Documentation]    Following the emailed link is what turns a registration into an account.
    [Tags]    smoke    db    mail
    ${buyer} =    Register User
    Verify Email Of    ${buyer}
    Account Should Be Persisted As    ${buyer}    status=active
    Verification Time Should Be Set    ${buyer}

A Used Link Cannot Be Used Again
    [Documentation]    A leaked old link must not re-activate or change anything.
    [Tags]    security    db
    ${buyer} =    Register User
    ${link} =    Verify Email Of    ${buyer}
    ${token} =    Token From Link    ${link}
    Verification Should Fail    ${token}
    Account Should Be Persisted As    ${buyer}    status=active

An Expired Link Is Refused
    [Documentation]    Verification links expire so a mailbox compromise later cannot use them.
    [Tags]    security    db
    ${buyer} =    Register User
    ${link} =    Verification Link Should Arrive For    ${buyer}[email]
    Expire Verification Links Of    ${buyer}
    Verification Should Fail    ${{$link.split("token=")[1]}}
    Account Should Be Persisted As    ${buyer}    status=pending_verification

Garbage Tokens Are Refused
    [Documentation]    Guessing tokens gets nowhere and never errors.
    [Tags]    security    validation
    [Template]    Verification Should Fail
    not-a-token
    ${{"x" * 200}}
    ' OR 1=1 --

Verification Requests Are Validated
    [Documentation]    Missing or extra fields are 422, not a crash.
    [Tags]    validation
    Verification Body Should Be Refused    ${{{"token": "a", "extra": 1}}}
    Verification Body Should Be Refused    ${{{}}}
    Verification Link Without Token Should Be Refused

Unverified Account Cannot Log In
    [Documentation]    Until the email is proven, the account has no session.
    [Tags]    auth    db
    ${buyer} =    Register User
    Login Should Be Refused    ${buyer}[email]    ${buyer}[password]    403    email_not_verified
    Account Should Be Persisted As    ${buyer}    status=pending_verification
