/*
 * JSON:API 1.1 documents <-> the plain objects the screens use, and error documents -> messages
 * per form field. Pure functions, no $http: the User resource plugs them into its actions.
 */
(function (angular) {
  'use strict';

  var MEDIA_TYPE = 'application/vnd.api+json';
  var ATTRIBUTES = ['name', 'address', 'age', 'profession', 'website'];
  var POINTER_PREFIX = '/data/attributes/';

  function parse(data) {
    if (angular.isString(data)) {
      if (!data.trim()) { return null; }
      try { return JSON.parse(data); } catch (ignored) { return null; }
    }
    return data === undefined ? null : data;
  }

  /** A resource object -> {id, name, address, age, profession, website; $history: its link}. */
  function fromResource(resource) {
    var user = { id: resource.id };
    var attributes = resource.attributes || {};
    ATTRIBUTES.forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(attributes, field)) { user[field] = attributes[field]; }
    });
    var history = resource.relationships && resource.relationships.history;
    if (history && history.links && history.links.related) { user.$history = history.links.related; }
    return user;
  }

  /** A plain user -> a request document; `id` is sent only for an update. */
  function toDocument(user, withId) {
    var attributes = {};
    ATTRIBUTES.forEach(function (field) {
      if (user && user[field] !== undefined) { attributes[field] = user[field]; }
    });
    var data = { type: 'users', attributes: attributes };
    if (withId) { data.id = String(user.id); }
    return angular.toJson({ data: data });
  }

  /** A single-resource response; an error document is passed through untouched. */
  function fromDocument(raw) {
    var document = parse(raw);
    if (!document || !document.data || angular.isArray(document.data)) { return document; }
    return fromResource(document.data);
  }

  /**
   * A collection response -> {users, total, totalAtLeast, links}. `total` is null when the
   * service only says the list holds at least `totalAtLeast` users (a filtered list stops
   * counting at 1,000).
   */
  function fromCollection(raw) {
    var document = parse(raw);
    if (!document || !angular.isArray(document.data)) { return document; }
    var meta = document.meta || {};
    return {
      users: document.data.map(fromResource),
      total: angular.isNumber(meta.total) ? meta.total : null,
      totalAtLeast: angular.isNumber(meta.totalAtLeast) ? meta.totalAtLeast : null,
      links: document.links || {}
    };
  }

  /**
   * A failed $http response -> {status, fields: {name: [details]}, messages: [details]}.
   * A 422 error goes to the field its source.pointer names; a missing attribute (pointer
   * /data/attributes) to meta.attribute; anything else is a general message.
   */
  function describeFailure(response) {
    var result = { status: response ? response.status : -1, fields: {}, messages: [] };
    var document = response ? parse(response.data) : null;
    var errors = document && angular.isArray(document.errors) ? document.errors : [];
    errors.forEach(function (error) {
      var pointer = error.source && error.source.pointer;
      var field = null;
      if (angular.isString(pointer) && pointer.indexOf(POINTER_PREFIX) === 0) {
        field = pointer.slice(POINTER_PREFIX.length);
      } else if (pointer === '/data/attributes' && error.meta && error.meta.attribute) {
        field = error.meta.attribute;
      }
      var text = String(error.detail || error.title || 'The request failed');
      if (field && ATTRIBUTES.indexOf(field) !== -1) {
        (result.fields[field] = result.fields[field] || []).push(text);
      } else {
        result.messages.push(text);
      }
    });
    if (!errors.length) {
      if (result.status <= 0) {
        result.messages.push('The service could not be reached. Check your connection and try again.');
      } else {
        result.messages.push('The service answered with an unexpected error (HTTP ' + result.status + ').');
      }
    }
    return result;
  }

  /** A failed $http response -> every detail it gives, as one sentence or more. */
  function failureText(response) {
    var failure = describeFailure(response);
    var details = failure.messages;
    angular.forEach(failure.fields, function (messages) { details = details.concat(messages); });
    return details.join(' ');
  }

  angular.module('usersApp.jsonapi', []).constant('jsonApi', {
    MEDIA_TYPE: MEDIA_TYPE,
    ATTRIBUTES: ATTRIBUTES,
    toDocument: toDocument,
    fromDocument: fromDocument,
    fromCollection: fromCollection,
    describeFailure: describeFailure,
    failureText: failureText
  });
})(window.angular);
