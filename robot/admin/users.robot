*** Settings ***
Documentation     Account administration: admins find accounts, change roles and disable or
...               re-enable them; every change is audited and a disabled account's sessions end.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/sessions.resource
Resource          ../../keywords/tokens.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         admin    users


*** Test Cases ***
Accounts Are Found By Role, Status And Text
    [Documentation]    Support looks people up by what they are, whether they may log in, and a name.
    [Tags]    smoke
    ${cast} =    Accounts Sharing A Name
    VAR    ${marker} =    ${cast}[marker]
    Users Found Should Be    ${ADMIN}    ${cast}[idle]    ${cast}[seller]    ${cast}[buyer]    q=${marker}
    Users Found Should Be    ${ADMIN}    ${cast}[idle]    ${cast}[seller]    ${cast}[buyer]
    ...    q=${marker.upper()}
    Users Found Should Be    ${ADMIN}    ${cast}[buyer]    q=${marker}    role=buyer
    Users Found Should Be    ${ADMIN}    ${cast}[idle]    ${cast}[seller]    q=${marker}    role=seller
    Users Found Should Be    ${ADMIN}    ${cast}[idle]    q=${marker}    status=disabled
    Users Found Should Be    ${ADMIN}    ${cast}[seller]    q=${marker}    role=seller    status=active
    Users Found Should Be    ${ADMIN}    ${cast}[buyer]    q=${cast}[buyer][email]

Unmatched Wildcards Find Nobody
    [Documentation]    A search text is taken literally, so `%` cannot list every account.
    [Tags]    security
    ${marker} =    Evaluate    "Marker" + uuid.uuid4().hex[:10]
    Verified Account Named    buyer    Percent ${marker}
    Users Found Should Be    ${ADMIN}    q=${marker}%
    Users Found Should Be    ${ADMIN}    q=${marker}_

An Admin Promotes A Buyer To Seller
    [Documentation]    A buyer who starts selling gets the seller role from an admin, on record.
    [Tags]    smoke    db
    ${buyer} =    Register Verified Buyer
    Change Role As    ${ADMIN}    ${buyer}    seller
    Account Should Be Persisted As    ${buyer}    role=seller    status=active
    Audit Should Record    user.update    ${buyer}    by=${ADMIN}    kind=user    role=buyer -> seller
    ${profile} =    Profile Of    ${buyer}
    Should Be Equal    ${profile}[role]    seller

A Demoted Admin Loses The Console At Once
    [Documentation]    The role is read on every request, so a demotion needs no new login.
    [Tags]    security    db
    ${colleague} =    Create Admin
    List Users As    ${colleague}
    Change Role As    ${ADMIN}    ${colleague}    buyer
    Account Should Be Persisted As    ${colleague}    role=buyer    status=active
    Audit Should Record
    ...    user.update
    ...    ${colleague}
    ...    by=${ADMIN}
    ...    kind=user
    ...    role=admin -> buyer
    Console Read Should Be Refused    ${colleague}    list users    403

Disabling An Account Ends Its Sessions
    [Documentation]    A disabled person must lose access and tokens at once, not when they expire.
    [Tags]    smoke    security    db
    ${seller} =    Register Verified Seller
    Token Should Work    ${seller}
    Disable Account As    ${ADMIN}    ${seller}
    Account Should Be Persisted As    ${seller}    status=disabled
    Session Family Should Be Revoked In Database    ${seller}
    Audit Should Record
    ...    user.update
    ...    ${seller}
    ...    by=${ADMIN}
    ...    kind=user
    ...    status=active -> disabled
    Token Of Actor Should Be Refused    ${seller}    account_inactive
    ${refresh} =    Refresh Session Of    ${seller}    expected_status=401
    Problem Should Be    ${refresh}    401    invalid_grant
    Login Should Be Refused    ${seller}[email]    ${seller}[password]    403    account_disabled
    ...    client_ip=${seller}[client_ip]

A Re-enabled Account Logs In Again But Old Tokens Stay Dead
    [Documentation]    Re-enabling restores the person, not the sessions that were cut.
    [Tags]    security    db
    ${buyer} =    Register Verified Buyer
    VAR    &{old_session} =    &{buyer}
    Disable Account As    ${ADMIN}    ${buyer}
    Enable Account As    ${ADMIN}    ${buyer}
    Account Should Be Persisted As    ${buyer}    status=active
    Audit Should Record
    ...    user.update
    ...    ${buyer}
    ...    by=${ADMIN}
    ...    kind=user
    ...    status=disabled -> active
    Token Of Actor Should Be Refused    ${old_session}    token_revoked
    Log In As    ${buyer}
    Token Should Work    ${buyer}

Invalid Account Changes Are Refused
    [Documentation]    Only role and status can change, only to known values, and something must change.
    [Tags]    validation    db
    [Template]    Invalid Account Change Should Change Nothing
    role    owner
    status    pending_verification
    status    ${NONE}
    email    someone@example.com
    token_version    ${99}
    ${EMPTY}    ${EMPTY}

Unknown Accounts Are Not Found
    [Documentation]    A missing or malformed account id is a 404, never a server error.
    [Tags]    validation
    [Template]    Account Change Should Be Refused
    ${ADMIN}    ${{str(uuid.uuid4())}}    ${{{"status": "disabled"}}}    404    user_not_found
    ${ADMIN}    not-a-uuid    ${{{"status": "disabled"}}}    404    not_found
    ${ADMIN}    ${{"1" * 36}}    ${{{"status": "disabled"}}}    404    not_found

Bad Account Searches Are Refused
    [Documentation]    A filter the API cannot apply is an error, never a silently wider search.
    [Tags]    validation
    [Template]    Account Search Should Be Refused
    role    role=owner
    status    status=banned
    page    page=0
    per_page    per_page=101
    q    q=${EMPTY}


*** Keywords ***
Accounts Sharing A Name
    [Documentation]    A buyer, a seller and a disabled seller whose names share a unique `marker`.
    ${marker} =    Evaluate    "Marker" + uuid.uuid4().hex[:10]
    ${buyer} =    Verified Account Named    buyer    Ada ${marker} Lovelace
    ${seller} =    Verified Account Named    seller    Grace ${marker} Hopper
    ${idle} =    Verified Account Named    seller    Idle ${marker} Trader
    Disable Account As    ${ADMIN}    ${idle}
    Account Should Be Persisted As    ${idle}    status=disabled
    VAR    &{cast} =    marker=${marker}    buyer=${buyer}    seller=${seller}    idle=${idle}
    RETURN    ${cast}

Verified Account Named
    [Documentation]    A verified, logged-in `role` whose full name is `full_name`.
    [Arguments]    ${role}    ${full_name}
    ${actor} =    Register User    ${role}    full_name=${full_name}
    Verify Email Of    ${actor}
    Log In As    ${actor}
    RETURN    ${actor}

Invalid Account Change Should Change Nothing
    [Documentation]    Setting `field` to `value` (no field: an empty body) is a 422; the account is unchanged.
    [Arguments]    ${field}    ${value}
    ${buyer} =    Register Verified Buyer
    VAR    &{body} =    &{EMPTY}
    IF    $field    Set To Dictionary    ${body}    ${field}=${value}
    Account Change Should Be Refused    ${ADMIN}    ${buyer}[id]    ${body}    422    validation_error
    Account Should Be Persisted As    ${buyer}    role=buyer    status=active    token_version=1
    Audit Should Record    any    ${buyer}    count=0

Account Search Should Be Refused
    [Documentation]    Listing accounts with `params` is a 422 naming `field`.
    [Arguments]    ${field}    &{params}
    Report Query Should Be Refused    ${ADMIN}    list users    ${field}    &{params}
