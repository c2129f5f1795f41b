*** Settings ***
Documentation     Sessions: short access tokens, rotating refresh tokens, and theft detection.

Resource          ../../keywords/accounts.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/sessions.resource
Resource          ../../keywords/tokens.resource

Suite Setup       Connect To Api Database
Suite Teardown    Disconnect From Api Database

Test Tags         users    auth    sessions


*** Test Cases ***
Refresh Gives A Working Pair
    [Documentation]    Clients stay logged in without keeping the password.
    [Tags]    smoke
    ${buyer} =    Register Verified Buyer
    VAR    ${spent} =    ${buyer}[refresh_token]
    ${response} =    Refresh Session Of    ${buyer}
    Should Be Equal As Integers    ${response.status_code}    200
    Should Not Be Equal    ${buyer}[refresh_token]    ${spent}
    Token Should Work    ${buyer}
    Refresh Token Should Be Spent In Database    ${spent}

A Spent Refresh Token Is Refused
    [Documentation]    Refresh tokens are single-use, so a copied one is worthless once used.
    [Tags]    security
    ${buyer} =    Register Verified Buyer
    VAR    ${spent} =    ${buyer}[refresh_token]
    Refresh Session Of    ${buyer}
    ${response} =    Refresh Session Of    ${buyer}    refresh_token=${spent}    expected_status=401
    Problem Should Be    ${response}    401    invalid_grant

Reusing A Spent Token Revokes The Whole Family
    [Documentation]    Reuse means theft: the legitimate newer tokens must die too (OAuth 2.0 BCP).
    [Tags]    security
    ${buyer} =    Register Verified Buyer
    VAR    ${spent} =    ${buyer}[refresh_token]
    Refresh Session Of    ${buyer}
    Refresh Session Of    ${buyer}    refresh_token=${spent}    expected_status=401
    ${response} =    Refresh Session Of    ${buyer}    expected_status=401
    Problem Should Be    ${response}    401    invalid_grant
    Token Of Actor Should Be Refused    ${buyer}    token_revoked
    Session Family Should Be Revoked In Database    ${buyer}

Logout Ends The Session
    [Documentation]    After logout neither the access nor the refresh token may be used.
    [Tags]    smoke    security
    ${buyer} =    Register Verified Buyer
    Log Out    ${buyer}
    Token Of Actor Should Be Refused    ${buyer}    token_revoked
    Token Should Be Revoked In Database    ${buyer}[access_token]
    ${response} =    Refresh Session Of    ${buyer}    expected_status=401
    Problem Should Be    ${response}    401    invalid_grant

Password Change Revokes Older Tokens
    [Documentation]    Changing a password is how people evict an intruder.
    [Tags]    security
    ${seller} =    Register Verified Seller
    VAR    &{old_session} =    &{seller}
    Change Password Of    ${seller}    New-Password-${{uuid.uuid4().hex[:8]}}9
    Token Of Actor Should Be Refused    ${old_session}    token_revoked
    ${response} =    Refresh Session Of    ${old_session}    expected_status=401
    Problem Should Be    ${response}    401    invalid_grant
    Account Should Be Persisted As    ${seller}    token_version=2
    Log In As    ${seller}
    Token Should Work    ${seller}

Password Change Needs The Current Password
    [Documentation]    A stolen session alone must not be enough to take over the account.
    [Tags]    security
    ${buyer} =    Register Verified Buyer
    ${response} =    Request Password Change    ${buyer}    Not-The-Password-1    Another-Good-Pw-22
    Problem Should Be    ${response}    403    wrong_password
    Account Should Be Persisted As    ${buyer}    token_version=1
    Token Should Work    ${buyer}

Weak New Password Is Refused
    [Documentation]    The password rules hold on change as on registration.
    [Tags]    validation
    ${buyer} =    Register Verified Buyer
    ${response} =    Request Password Change    ${buyer}    ${buyer}[password]    short1
    ${problem} =    Problem Should Be    ${response}    422    weak_password
    Problem Should Name Field    ${problem}    new_password
    Account Should Be Persisted As    ${buyer}    token_version=1
