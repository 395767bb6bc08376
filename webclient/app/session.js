/*
 * Who is signed in, and what that lets the screens show. The service decides (every request
 * it refuses is refused there); this only hides what a role may not use and sends a browser
 * whose session ended back to the sign-in page.
 */
(function (angular) {
  'use strict';

  var MEDIA_TYPE = 'application/vnd.api+json';
  var SEND = { Accept: MEDIA_TYPE, 'Content-Type': MEDIA_TYPE };
  var RANK = { viewer: 0, editor: 1, admin: 2 };
  var PUBLIC_STATES = ['signin', 'setup'];

  function fromSession(response) {
    var attributes = response.data && response.data.data ? response.data.data.attributes : {};
    return { username: attributes.username, role: attributes.role };
  }

  /** "Try again in 3 minutes" from a 429's Retry-After (seconds). */
  function retryText(response) {
    var seconds = parseInt(response.headers('Retry-After'), 10);
    if (!(seconds > 0)) { return 'Try again later.'; }
    if (seconds < 90) { return 'Try again in ' + seconds + ' seconds.'; }
    return 'Try again in ' + Math.ceil(seconds / 60) + ' minutes.';
  }

  session.$inject = ['$http', '$q'];
  function session($http, $q) {
    var service = { current: null, loaded: false };

    service.load = function () {
      if (service.loaded) { return $q.resolve(service.current); }
      return $http.get('api/v1/session', { headers: { Accept: MEDIA_TYPE }, signInCheck: true })
        .then(function (response) { service.current = fromSession(response); },
              function () { service.current = null; })
        .then(function () { service.loaded = true; return service.current; });
    };

    service.signIn = function (username, password, setupCode) {
      var attributes = { username: username, password: password };
      if (setupCode) { attributes.setup_code = setupCode; }
      var document = { data: { type: 'sessions', attributes: attributes } };
      return $http.post('api/v1/session', document, { headers: SEND, signInCheck: true })
        .then(function (response) {
          service.current = fromSession(response);
          service.loaded = true;
          return service.current;
        });
    };

    service.signOut = function () {
      return $http({ method: 'DELETE', url: 'api/v1/session', headers: { Accept: MEDIA_TYPE }, signInCheck: true })
        ['finally'](service.forget);
    };

    service.forget = function () { service.current = null; service.loaded = true; };

    service.hasRole = function (role) {
      return !!service.current && RANK[service.current.role] >= RANK[role];
    };
    service.canEdit = function () { return service.hasRole('editor'); };
    service.isAdmin = function () { return service.hasRole('admin'); };
    service.retryText = retryText;
    return service;
  }

  /** A 401 on any request but the session's own: the session has ended. */
  sessionEnded.$inject = ['$q', '$injector'];
  function sessionEnded($q, $injector) {
    return {
      responseError: function (response) {
        var config = response.config || {};
        if (!config.signInCheck && response.status === 401) {
          var state = $injector.get('$state');
          $injector.get('session').forget();
          if (PUBLIC_STATES.indexOf(state.current.name) === -1) {
            $injector.get('toaster').pop('warning', 'Signed out', 'Your session has ended. Please sign in again.');
            state.go('signin');
          }
        } else if (!config.signInCheck && response.status === 429) {
          $injector.get('toaster').pop('error', 'Too many requests', retryText(response));
        }
        return $q.reject(response);
      }
    };
  }

  guard.$inject = ['$transitions', 'session'];
  function guard($transitions, session) {
    $transitions.onBefore({}, function (transition) {
      var to = transition.to().name;
      if (PUBLIC_STATES.indexOf(to) !== -1) { return true; }
      return session.load().then(function (current) {
        if (!current) { return transition.router.stateService.target('signin'); }
        var needs = transition.to().data && transition.to().data.role;
        if (needs && !session.hasRole(needs)) { return transition.router.stateService.target('users.list'); }
        return true;
      });
    });
  }

  HeaderController.$inject = ['$state', 'session', 'toaster'];
  function HeaderController($state, session, toaster) {
    var vm = this;
    vm.session = session;
    /** aria-current of the link to `state`: "page" on that screen. */
    vm.current = function (state) { return $state.includes(state) ? 'page' : undefined; };
    vm.signOut = function () {
      session.signOut().then(function () {
        toaster.pop('success', 'Signed out', 'You are signed out.');
      })['finally'](function () { $state.go('signin'); });
    };
  }

  angular.module('usersApp.session', ['ui.router', 'toaster'])
    .factory('session', session)
    .factory('sessionEnded', sessionEnded)
    .config(['$httpProvider', function ($httpProvider) {
      $httpProvider.interceptors.push('sessionEnded');
    }])
    .run(guard)
    .controller('HeaderController', HeaderController);
})(window.angular);
