*** Settings ***
Documentation     Registration: who may sign up, with what, and what is stored and sent.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/mail.resource
Resource          ../../keywords/verification.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         users    registration


*** Test Cases ***
Registration Creates A Pending Account
    [Documentation]    A new account exists at once but cannot be used until its email is proven.
    [Tags]    smoke    db
    ${buyer} =    Register User    buyer    country=ZA    company=Acme Mining
    Should Be Equal    ${buyer}[account][status]    pending_verification
    Account Should Be Persisted As    ${buyer}    status=pending_verification    role=buyer
    ...    country=ZA    company=Acme Mining    token_version=1
    Password Should Be Stored As Argon2 Hash    ${buyer}
    Created And Updated Times Should Be Set    ${buyer}

Registration Sends A Working Verification Link
    [Documentation]    The emailed link is the only way to activate the account.
    [Tags]    smoke    db    mail
    ${seller} =    Register User    seller
    Verify Email Of    ${seller}
    Account Should Be Persisted As    ${seller}    status=active    role=seller
    Message Count Should Be    ${seller}[email]    1    Verify your

Email Is Stored Normalised
    [Documentation]    Mixed-case input must not create a second identity for the same mailbox.
    [Tags]    db
    ${actor} =    New Actor
    ${body} =    Registration Payload    ${actor}    email=${{$actor['email'].upper()}}
    ${response} =    Submit Registration    ${body}    expected_status=201
    Should Be Equal    ${response.json()}[email]    ${actor}[email]
    Account Should Be Persisted As    ${actor}    email=${actor}[email]

Duplicate Email Is Refused In Any Letter Case
    [Documentation]    One mailbox, one account: a duplicate would let two people claim it.
    [Tags]    db
    [Template]    Duplicate Registration Should Be Refused
    same
    upper
    title

Invalid Emails Are Refused And Change Nothing
    [Documentation]    Each bad email gets a 422 naming the field, and no row is written.
    [Tags]    validation    db
    [Template]    Invalid Registration Should Change Nothing
    email    not-an-email    validation_error    email
    email    two@@example.com    validation_error    email
    email    spaces in@example.com    validation_error    email
    email    nobody@    validation_error    email
    email    ${{42}}    validation_error    email
    email    ${NONE}    validation_error    email

Weak Or Missing Passwords Are Refused And Change Nothing
    [Documentation]    Weak passwords are refused before anything is stored.
    [Tags]    validation    db
    [Template]    Invalid Registration Should Change Nothing
    password    Short1    weak_password    password
    password    onlyletterslongenough    weak_password    password
    password    123456789012345    weak_password    password
    password    Abcdefghi12    weak_password    password
    password    ${{"a1" * 128 + "b"}}    validation_error    password
    password    ${NONE}    validation_error    password
    password    ${{["list", 1]}}    validation_error    password

Invalid Or Unknown Fields Are Refused And Change Nothing
    [Documentation]    Missing, mistyped and unknown fields (a self-granted role) are 422 and write nothing.
    [Tags]    validation    db
    [Template]    Invalid Registration Should Change Nothing
    full_name    ${NONE}    validation_error    full_name
    full_name    ${EMPTY}    validation_error    full_name
    role    admin    validation_error    role
    role    ${NONE}    validation_error    role
    country    South Africa    validation_error    country
    is_admin    ${TRUE}    validation_error    is_admin
    status    active    validation_error    status

Password Equal To Email Is Refused
    [Documentation]    The address is public; a password equal to it is no secret at all.
    [Tags]    validation    db
    ${actor} =    New Actor
    Set To Dictionary    ${actor}    email=longpassword1@example.com    password=longpassword1@example.com
    ${body} =    Registration Payload    ${actor}
    ${problem} =    Registration Should Be Refused    ${body}    422    weak_password
    Problem Should Name Field    ${problem}    password
    Accounts With Email Should Be    ${actor}[email]    0

Unreadable Registrations Are Refused
    [Documentation]    Malformed, mistyped or oversized bodies get the right 4xx, never a 500.
    [Tags]    validation    errors
    [Template]    Raw Registration Should Be Refused
    {"email": "x@example.com",    application/json    400    malformed_json
    email=x@example.com    application/x-www-form-urlencoded    415    unsupported_media_type
    <user/>    application/xml    415    unsupported_media_type
    ${{"[" * 10}}    application/json    400    malformed_json
    ${{"[]"}}    application/json    422    validation_error
    ${{'{"a": "' + "x" * 2000000 + '"}'}}    application/json    413    payload_too_large

Concurrent Registrations With One Email Make One Account
    [Documentation]    The unique index, not a race-prone check, decides who gets the email.
    [Tags]    concurrency    db
    ${actor} =    New Actor
    ${body} =    Registration Payload    ${actor}
    ${statuses} =    Submit Registrations Concurrently    ${body}    6
    Should Be Equal    ${statuses}    ${{[201, 409, 409, 409, 409, 409]}}
    Accounts With Email Should Be    ${actor}[email]    1

Registration Survives A Mail Outage
    [Documentation]    An SMTP outage delays the email but never loses the account or the email.
    [Tags]    mail    resilience    db
    ${buyer} =    New Actor    buyer
    Start Mail Outage For    ${buyer}[email]
    Register Account Of    ${buyer}
    Account Should Be Persisted As    ${buyer}    status=pending_verification
    Pending Verification Emails Should Be    ${buyer}[email]    1
    Message Count Should Be    ${buyer}[email]    0
    End Mail Outage For    ${buyer}[email]
    Verify Email Of    ${buyer}
    Pending Verification Emails Should Be    ${buyer}[email]    0
    Message Count Should Be    ${buyer}[email]    1    Verify your
    [Teardown]    End Mail Outage For    ${buyer}[email]

Resend Answers The Same Whatever The Email
    [Documentation]    The resend endpoint must not reveal which emails have accounts.
    [Tags]    security    mail    db
    ${buyer} =    Register User    buyer
    Resend Verification For    ${buyer}[email]
    Resend Verification For    nobody-${{uuid.uuid4().hex}}@example.com
    Wait Until Keyword Succeeds    30 s    0.5 s
    ...    Message Count Should Be    ${buyer}[email]    2    Verify your


*** Keywords ***
Duplicate Registration Should Be Refused
    [Documentation]    A second registration with the same email, in another `case`, is 409.
    [Arguments]    ${case}
    ${first} =    Register User
    ${email} =    Evaluate    getattr($first["email"], $case)() if $case != "same" else $first["email"]
    ${second} =    New Actor
    ${body} =    Registration Payload    ${second}    email=${email}
    Registration Should Be Refused    ${body}    409    email_taken
    Accounts With Email Should Be    ${first}[email]    1

Invalid Registration Should Change Nothing
    [Documentation]    Registering with `field`=`value` gives 422 `code` naming `error_field`.
    [Arguments]    ${field}    ${value}    ${code}    ${error_field}
    ${actor} =    New Actor
    ${body} =    Registration Payload    ${actor}    ${field}=${value}
    ${problem} =    Registration Should Be Refused    ${body}    422    ${code}
    Problem Should Name Field    ${problem}    ${error_field}
    Accounts With Email Should Be    ${actor}[email]    0
