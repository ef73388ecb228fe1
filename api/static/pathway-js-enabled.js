// Marks the page as able to run the NHS.UK frontend's scripts (its template does this inline,
// which the Content-Security-Policy forbids here). Loaded first thing in <body>.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');
